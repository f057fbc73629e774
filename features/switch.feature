@area.switch
Feature: The SUT as the switch (转接清算)
  When the SUT is the switch, the harness plays the institutions around it: the peers of the
  simulated network (mocks/network.json) pay through it from both sides, their terminals
  and wallets driven through their test-control APIs, and the harness sends it requests as
  one of them. A switch routes a payment code to its issuer by prefix and length and a
  merchant code to its acquirer, passes the payer's details on encrypted for the acquirer,
  and refuses what it cannot route.

  @tc.SW-01-<persona> @req.R-FLOW-01 @req.R-CPM-02 @req.R-FLOW-12 @role.switch
  Scenario Outline: The SUT switch routes a purchase at the peer's terminal to the wallet of <persona>, <institution.name>
    Given a payer account at the <persona> holding 100.00 CNY
    And the <persona>'s wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer's institution and the merchant's recorded the same amount, currency, voucher number and settlement date
    And the payer account at the <persona> holds 70.00 CNY

    @rows.issuer-personas-but-the-peer
    Examples: every wallet of the simulated network but the peer's, whose terminal charges
      | persona | institution.name |

  @tc.SW-02-<persona> @req.R-FLOW-01 @req.R-SEC-05 @req.R-FLOW-12 @role.switch
  Scenario Outline: The SUT switch routes a payment in the peer's wallet to a merchant code of <persona>, <institution.name>
    Given a payer account at the peer holding 100.00 CNY
    And a static merchant code of the <persona>'s acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the peer's wallet and pays 12.00 CNY
    Then the peer reports the payment as approved
    And the <persona>'s acquirer recorded a credit of 12.00 CNY to the merchant
    And the <persona>'s acquirer recorded the payer's account reference from the encrypted details
    And the payer's institution and the merchant's recorded the same amount, currency, voucher number and settlement date
    And the payer account at the peer holds 88.00 CNY

    @rows.acquirer-personas-but-the-peer
    Examples: every acquirer of the simulated network but the peer, whose wallet pays
      | persona | institution.name |

  @tc.SW-03-<tcId> @req.R-CPM-02 @role.switch
  Scenario Outline: The SUT switch routes no purchase for payment code vector <tcId> (<comment>)
    When the peer acquirer sends the SUT a purchase of 10.00 CNY for the payment code "<code>"
    Then the SUT answers with response code "44"

    @rows.invalid-payment-codes
    Examples: every payment code of the vectors whose length does not fit its prefix
      | tcId | comment | code |

  @tc.SW-04 @req.R-FLOW-06 @role.switch
  Scenario: The SUT switch moves the money once for a purchase the acquirer sends twice
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer sends the SUT a purchase of 30.00 CNY for that payment code
    And the peer acquirer sends the SUT the same purchase again, with a fresh message ID and nonce
    Then the SUT answers the second purchase as the profile says its switch answers an identical repeat
    And the payer account at the wallet-w holds 70.00 CNY

  @tc.SW-05-<tcId> @req.<requirements> @role.switch
  Scenario Outline: The SUT switch asks no acquirer about merchant code vector <tcId>, on the peer's account: <comment>
    When the peer's wallet asks the SUT about the merchant code "<payload>" moved to the peer acquirer's merchant account
    Then the SUT answers with response code "44"

    @rows.invalid-merchant-codes-on-the-reference-guid
    Examples: every merchant code of the vectors that breaks a coding rule on the merchant account the vectors are built on, which the step makes the peer acquirer's
      | tcId | comment | payload | requirements |

  @tc.SW-06 @req.R-FLOW-05 @role.switch
  Scenario: The SUT switch relays the reversal that undoes an approval it stopped waiting for
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the wallet-w will answer the SUT's next purchase only after the SUT stops waiting
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as reversed once its queries found no outcome
    And the wallet-w answered the SUT's reversal of the purchase with response code "00"
    And the payer account at the wallet-w holds 100.00 CNY
    When the peer acquirer asks the SUT what became of the purchase
    Then the SUT answers that the purchase was reversed

  @tc.SW-07 @req.R-FLOW-08 @role.switch
  Scenario: The SUT switch sends its result notice again, on the profile's schedule, until the acquirer acknowledges it
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the peer will not acknowledge the SUT's next result notice
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the SUT sent the peer the result notice of the purchase again after the profile's first resend delay
    And the peer acknowledged the second copy with response code "00"

  @tc.SW-NTF-01 @req.R-FLOW-08 @role.switch
  Scenario: The SUT switch sends the acquirer no result notice of a declined purchase
    Given a payer account at the wallet-w holding 10.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "64"
    And the SUT sent the peer no result notice of the declined purchase

  @tc.SW-08 @req.R-CPM-02 @role.switch
  Scenario: The SUT switch gives the peer's wallet a payment code that routes back to the peer
    When the peer's wallet applies to the SUT for a payment code for a payer account
    Then the payment code passes the profile's code checks in strict mode
    And it is a payment code that routes to the peer as issuer
